import { postgresSchemas } from '../postgres-schemas';
import { rebuildSuite } from './rebuild-suite';

/** The rebuild suite with the engine's read store on a real PostgreSQL (the cluster test:services starts). */
describe('rebuilds into PostgreSQL', () => {
  const schemas = postgresSchemas('rebuild');
  rebuildSuite('on PostgreSQL', () => ({
    READ_STORE: 'postgres',
    POSTGRES_URL: schemas.url,
    POSTGRES_READ_SCHEMA: schemas.next(),
  }));
});
