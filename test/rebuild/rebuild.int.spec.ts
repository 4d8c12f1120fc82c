import { rebuildSuite } from './rebuild-suite';

rebuildSuite('on the embedded SQLite read store', () => ({}));
