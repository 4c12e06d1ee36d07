import { expect } from 'chai';
import type { Db } from '../../src/db/knex.ts';
import { createUser, type User } from '../../src/db/users.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ToolError, type Caller, type Tool, type ToolContext, type ToolResult } from '../../src/tools/tool.ts';

/** A fixed clock: Wednesday 2 December 2026, 10:00 in New York. */
export const NOW = new Date('2026-12-02T15:00:00Z');

let phoneCounter = 0;

export async function addUser(db: Db, name: string): Promise<User> {
  phoneCounter += 1;
  return createUser(db, {
    name,
    email: `${name.toLowerCase().replace(/\s+/g, '.')}.${phoneCounter}@example.test`,
    phone: `+1555000${String(phoneCounter).padStart(4, '0')}`,
    pin: '1234',
    timezone: 'America/New_York',
  });
}

export function contextFor(db: Db, user: User): ToolContext {
  const caller: Caller = { id: user.id, name: user.name, timezone: user.timezone };
  return { db, caller, now: NOW, signal: new AbortController().signal };
}

/** Runs a tool the way the agent does: arguments validated by the tool's own schema first. */
export async function call<Args>(tool: Tool<Args>, args: unknown, context: ToolContext): Promise<ToolResult> {
  return tool.run(tool.parameters.parse(args), context);
}

/** The ToolError a call fails with; fails the test when it succeeds or fails otherwise. */
export async function refusal<Args>(tool: Tool<Args>, args: unknown, context: ToolContext): Promise<ToolError> {
  try {
    await call(tool, args, context);
  } catch (error) {
    expect(error).to.be.instanceOf(ToolError);
    return error as ToolError;
  }
  expect.fail(`${tool.name} succeeded but should have been refused`);
}

/** A fresh database with the caller under test and a stranger whose rows they must never reach. */
export async function callerAndStranger(): Promise<{ database: TestDatabase; caller: User; stranger: User }> {
  const database = await createTestDatabase();
  const caller = await addUser(database.db, 'Casey Caller');
  const stranger = await addUser(database.db, 'Sam Stranger');
  return { database, caller, stranger };
}
