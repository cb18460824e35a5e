export * from './result';
export * from './schemas';
export * from './contract';
export * from './api';
export * from './wire';
export * from './channels/files';
export * from './files';
