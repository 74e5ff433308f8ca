// The model worker thread's entry, plain CommonJS so that it starts the same way under tsx
// (npm start, the demo, calibrate) and under jest (whose transform does not reach worker
// threads): it registers tsx's CommonJS loader in this thread, then loads the TypeScript worker.
require('tsx/cjs/api').register();
require('./model-worker.ts');
