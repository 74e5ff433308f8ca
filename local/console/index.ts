/** The local web console (`npm start` prints its URL): photo app, executions, outbox, GDPR. */
export { withConsoleOrigin } from './cors-origin';
export { assertConsoleHost, ConsoleHostError, isLoopbackHost } from './host';
export {
  type ConsoleOptions,
  type ConsoleServer,
  type ConsoleTarget,
  listenConsole as startConsole,
} from './server';
