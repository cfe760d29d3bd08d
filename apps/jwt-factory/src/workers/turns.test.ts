import { describe, expect, it } from 'vitest'
import { Turns } from './turns.ts'

describe('Turns: one holder per name, in the order asked; a holder gone passes its turns on', () => {
  it('gives the turn to the waiting in order, only when its holder gives it back', async () => {
    const turns = new Turns()
    const order: string[] = []
    await turns.take('keys/a', 'w1')
    const second = turns.take('keys/a', 'w2').then(() => order.push('w2'))
    const third = turns.take('keys/a', 'w3').then(() => order.push('w3'))
    await turns.take('keys/b', 'w2') // another name is its own turn
    turns.give('keys/a', 'w2') // not its turn: nothing happens
    await Promise.resolve()
    expect(order).toEqual([])
    turns.give('keys/a', 'w1')
    await second
    expect(order).toEqual(['w2'])
    turns.give('keys/a', 'w2')
    await third
    expect(order).toEqual(['w2', 'w3'])
  })

  it('a holder forgotten gives up what it holds and stops waiting', async () => {
    const turns = new Turns()
    await turns.take('keys/a', 'w1')
    let w2 = false
    void turns.take('keys/a', 'w2').then(() => (w2 = true))
    const w3 = turns.take('keys/a', 'w3')
    turns.forget('w2')
    turns.forget('w1')
    await w3
    expect(w2).toBe(false)
  })
})
