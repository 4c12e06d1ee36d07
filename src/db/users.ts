import type { Executor } from './knex.ts';
import { hashPin } from './pin-hash.ts';
import { pinLockedUntil } from './pin-lockout.ts';

/** A users row; check a spoken PIN against `pin_hash` with `verifyPin` from ./pin-hash.ts. */
export interface User {
  id: string;
  name: string;
  email: string | null;
  phone: string;
  pin_hash: string;
  timezone: string;
  active: boolean;
  created_at: Date;
}

export interface NewUser {
  name: string;
  email?: string;
  /** E.164, e.g. +15555550100; the database refuses anything else. */
  phone: string;
  pin: string;
  timezone?: string;
}

export async function findUserByPhone(db: Executor, e164: string): Promise<User | null> {
  const row = await db<User>('users').where({ phone: e164 }).first();
  return row ?? null;
}

export async function findUserById(db: Executor, id: string): Promise<User | null> {
  const row = await db<User>('users').where({ id }).first();
  return row ?? null;
}

export async function createUser(db: Executor, user: NewUser): Promise<User> {
  const [row] = await db<User>('users')
    .insert({
      name: user.name,
      email: user.email ?? null,
      phone: user.phone,
      pin_hash: await hashPin(user.pin),
      timezone: user.timezone ?? 'UTC',
    })
    .returning('*');
  if (!row) throw new Error('insert into users returned no row');
  return row;
}

/** Replaces the PIN hash; true when the user exists. */
export async function setUserPin(db: Executor, id: string, pin: string): Promise<boolean> {
  const updated = await db('users').where({ id }).update({ pin_hash: await hashPin(pin) }).returning('id');
  return updated.length > 0;
}

/** Every user, with when their PIN is locked until (wrong guesses), if it is. */
export async function listUsers(db: Executor): Promise<(User & { pin_locked_until: Date | null })[]> {
  return db('users')
    .select('users.*', pinLockedUntil(db, 'users.id').as('pin_locked_until'))
    .orderBy('name')
    .orderBy('phone');
}

/** Deletes the user and, through the schema's cascades, their todos, reminders, events and threads. */
export async function removeUser(db: Executor, id: string): Promise<boolean> {
  const deleted = await db('users').where({ id }).delete().returning('id');
  return deleted.length > 0;
}
