import type { Knex } from 'knex';

// What a claim left 'started' by an older version means: the transaction that would have
// finished it (together with the tool's effect) never committed.
const NOT_DONE = JSON.stringify({ error: 'This did not complete and changed nothing.' });

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('turns', (t) => {
    // Idempotency is per call: one call's retry token never finds another call's turn.
    t.dropUnique(['idempotency_key']);
    t.unique(['call_sid', 'idempotency_key']);
    // The number of the <Gather> the turn answers, carried in the URL Twilio signs: a replayed
    // request finds the turn it already made instead of making another.
    t.integer('seq');
    t.unique(['call_sid', 'seq']);
  });
  // Stale work is found by age; only running turns and open calls are ever looked for.
  await knex.raw(`create index turns_running_since on turns (created_at) where status = 'running'`);
  await knex.raw(`create index calls_open_since on calls (started_at) where ended_at is null`);

  // Twilio's STIR/SHAKEN verdict on the caller ID (StirVerstat), which the PIN lockout trusts.
  await knex.schema.alterTable('calls', (t) => t.text('stir_verstat'));

  // Wrong PINs per account, counted apart for calls whose caller ID the carrier vouched for
  // ("attested") and all others, so that a spoofer exhausts only the others'. See docs/operations.md, "PIN and lockout".
  await knex.schema.createTable('pin_lockouts', (t) => {
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('bucket').checkIn(['attested', 'unattested']).notNullable();
    t.integer('failures').notNullable().defaultTo(0);
    t.integer('level').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true });
    t.timestamp('last_failure_at', { useTz: true });
    t.primary(['user_id', 'bucket']);
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('pin_failures');
    t.dropColumn('pin_locked_until');
  });

  await knex('tool_executions')
    .where({ status: 'started' })
    .update({ status: 'failed', result: NOT_DONE, finished_at: knex.fn.now() });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('pin_failures').notNullable().defaultTo(0);
    t.timestamp('pin_locked_until', { useTz: true });
  });
  await knex.schema.dropTable('pin_lockouts');
  await knex.schema.alterTable('calls', (t) => t.dropColumn('stir_verstat'));
  await knex.raw('drop index calls_open_since');
  await knex.raw('drop index turns_running_since');
  await knex.schema.alterTable('turns', (t) => {
    t.dropUnique(['call_sid', 'seq']);
    t.dropColumn('seq');
    t.dropUnique(['call_sid', 'idempotency_key']);
    t.unique(['idempotency_key']);
  });
}
