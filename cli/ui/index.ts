export { createUiApp, type UiOptions } from './app';
export { allowedHosts, isLoopback } from './security';
