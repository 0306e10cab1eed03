// Public face of the diagnostics module.
export * from './codes.ts';
export * from './diagnostic.ts';
export * from './format.ts';
