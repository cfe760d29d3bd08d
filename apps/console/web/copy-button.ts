import { h } from './dom.ts'

/**
 * A button that copies `text` and says so. The console is served from localhost, a secure
 * context, so the async clipboard is there; a browser that refuses it gets the text selected in
 * a prompt-free fallback instead.
 */
export function copyButton(label: string, text: string, name?: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': name }, label)
  button.addEventListener('click', async () => {
    const copied = await copy(text)
    button.textContent = copied ? 'Copied ✓' : 'Select and copy by hand'
    // The word goes back once the learner has seen it; nothing depends on the delay.
    setTimeout(() => (button.textContent = label), 1600)
  })
  return button
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = h('textarea', { class: 'offscreen', readonly: true })
    area.value = text
    document.body.append(area)
    area.select()
    const done = document.execCommand('copy')
    area.remove()
    return done
  }
}
