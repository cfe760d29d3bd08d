/** The factory's name in traces, logs, challenges' realm and the hops that call it. */
export const FACTORY_NAME = 'jwt-factory'
