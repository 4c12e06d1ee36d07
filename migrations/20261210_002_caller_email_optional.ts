import type { Knex } from 'knex';

// Callers added with `npm run users` need a phone, a name and a PIN; nothing reads an email.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table users alter column email drop not null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users alter column email set not null');
}
