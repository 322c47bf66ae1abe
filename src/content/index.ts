export { ContentStore, BlobWriter, type BlobInfo, type Expected } from './content-store.js';
