export { Snapshotter, type Mounter, type OverlayMount, type PreparedSnapshot, type SnapshotKind } from './snapshotter.js';
