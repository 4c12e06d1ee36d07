import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A ConversationRelay session a signed-in call may open: the app writes a random token into the
  // WebSocket URL it gives Twilio and keeps only its hash here, so any instance can take the
  // connection, once, and know which call (and so which caller) it speaks for.
  await knex.schema.createTable('relay_sessions', (t) => {
    t.text('token_hash').primary();
    t.text('call_sid').notNullable().references('calls.call_sid').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('connected_at', { useTz: true });
    // Twilio's session id (VX...), from its setup message.
    t.text('session_id');
    t.timestamp('ended_at', { useTz: true });
    t.index(['call_sid']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('relay_sessions');
}
