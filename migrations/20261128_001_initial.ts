import type { Knex } from 'knex';

// The whole schema in one place. Constraints live in the database so that neither a bug nor a
// second instance can write rows the application would refuse.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable();
    t.text('email').notNullable().unique();
    t.text('phone').notNullable().unique();
    t.text('pin_hash').notNullable();
    t.text('timezone').notNullable().defaultTo('UTC');
    t.boolean('active').notNullable().defaultTo(true);
    // Wrong PINs across calls: caller ID can be spoofed, so a per-call limit alone stops nobody.
    t.integer('pin_failures').notNullable().defaultTo(0);
    t.timestamp('pin_locked_until', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table users add constraint users_phone_e164 check (phone ~ '^\\+[1-9][0-9]{6,14}$')`);

  await knex.schema.createTable('teams', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('name').notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('team_members', (t) => {
    t.uuid('team_id').notNullable().references('teams.id').onDelete('CASCADE');
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('role').checkIn(['owner', 'admin', 'member', 'viewer']).notNullable();
    t.timestamp('joined_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['team_id', 'user_id']);
    t.index(['user_id']);
  });

  await knex.schema.createTable('todos', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('title').notNullable();
    t.text('description');
    t.text('priority').checkIn(['low', 'medium', 'high', 'urgent']).notNullable().defaultTo('medium');
    t.timestamp('due_at', { useTz: true });
    t.boolean('completed').notNullable().defaultTo(false);
    t.timestamp('completed_at', { useTz: true });
    t.uuid('creator_id').notNullable().references('users.id').onDelete('CASCADE');
    t.uuid('assignee_id').references('users.id').onDelete('SET NULL');
    t.uuid('team_id').references('teams.id').onDelete('CASCADE');
    t.timestamps(true, true);
    t.index(['creator_id', 'completed']);
    t.index(['assignee_id', 'completed']);
    t.index(['team_id']);
  });

  await knex.schema.createTable('reminders', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('message').notNullable();
    t.timestamp('remind_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'remind_at']);
  });

  await knex.schema.createTable('calendar_events', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('title').notNullable();
    t.text('location');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.timestamp('ends_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'starts_at']);
  });
  await knex.raw('alter table calendar_events add constraint calendar_events_end_after_start check (ends_at > starts_at)');

  await knex.schema.createTable('threads', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('status').checkIn(['active', 'reset']).notNullable().defaultTo('active');
    t.text('reset_reason');
    // Set when a turn times out or fails; the caller's next turn performs the reset.
    t.text('reset_requested');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('reset_at', { useTz: true });
  });
  // At most one active thread per caller, even with two instances racing.
  await knex.raw(`create unique index threads_one_active_per_user on threads (user_id) where status = 'active'`);

  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('id');
    t.uuid('thread_id').notNullable().references('threads.id').onDelete('CASCADE');
    t.text('role').checkIn(['user', 'assistant', 'tool']).notNullable();
    t.text('content');
    t.jsonb('tool_calls');
    t.text('tool_call_id');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['thread_id', 'id']);
  });
  await knex.raw(
    `alter table messages add constraint messages_tool_has_call_id check ((role = 'tool') = (tool_call_id is not null))`,
  );

  await knex.schema.createTable('calls', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('call_sid').notNullable().unique();
    t.text('from_number');
    t.text('to_number');
    t.uuid('user_id').references('users.id').onDelete('SET NULL');
    t.text('status').notNullable();
    t.integer('pin_attempts').notNullable().defaultTo(0);
    // W3C trace context of the call's root span, so any instance can continue the call's trace.
    t.jsonb('trace_context');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('authenticated_at', { useTz: true });
    t.timestamp('ended_at', { useTz: true });
    t.integer('duration_seconds');
  });

  await knex.schema.createTable('turns', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('call_sid').notNullable().references('calls.call_sid').onDelete('CASCADE');
    // Twilio's I-Twilio-Idempotency-Token, or CallSid + utterance: a retried webhook finds its turn.
    t.text('idempotency_key').notNullable().unique();
    t.uuid('thread_id').references('threads.id').onDelete('SET NULL');
    t.text('utterance').notNullable();
    t.text('utterance_hash').notNullable();
    t.text('status').checkIn(['running', 'answered', 'failed']).notNullable().defaultTo('running');
    t.text('answer');
    t.text('action').checkIn(['listen', 'transfer']);
    t.text('end_reason');
    t.integer('redirects').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('answered_at', { useTz: true });
    t.index(['call_sid', 'created_at']);
  });

  await knex.schema.createTable('tool_executions', (t) => {
    t.bigIncrements('id');
    t.uuid('thread_id').notNullable().references('threads.id').onDelete('CASCADE');
    t.uuid('turn_id').references('turns.id').onDelete('SET NULL');
    t.text('tool_call_id').notNullable();
    t.text('tool_name').notNullable();
    t.jsonb('arguments').notNullable();
    t.text('status').checkIn(['started', 'succeeded', 'failed']).notNullable();
    t.jsonb('result');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', { useTz: true });
    t.unique(['thread_id', 'tool_call_id']);
    t.index(['turn_id']);
  });

  await knex.schema.createTable('feedback', (t) => {
    t.uuid('id').primary().defaultTo(knex.raw('gen_random_uuid()'));
    t.text('call_sid').notNullable().references('calls.call_sid').onDelete('CASCADE');
    t.uuid('user_id').references('users.id').onDelete('SET NULL');
    t.uuid('turn_id').references('turns.id').onDelete('SET NULL');
    t.text('comment').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'feedback',
    'tool_executions',
    'turns',
    'calls',
    'messages',
    'threads',
    'calendar_events',
    'reminders',
    'todos',
    'team_members',
    'teams',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
