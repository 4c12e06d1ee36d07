import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const directory = new URL('../../migrations/', import.meta.url);

// Our own source rather than knex's directory loader: migrations are TypeScript ES modules, and
// knex's loader guesses at extensions and module formats.
export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return readdirSync(directory)
      .filter((file) => /^\d.*\.ts$/.test(file))
      .sort();
  },
  getMigrationName(file) {
    return file.replace(/\.ts$/, '');
  },
  async getMigration(file): Promise<Migration> {
    return (await import(new URL(file, directory).href)) as Migration;
  },
};
