export { Snapshotter, type Mounter, type OverlayMount, type SnapshotKind } from './snapshotter.js';
