import { loadConfig } from '../config.ts';
import { createDb, migrate } from './knex.ts';
import { seedDemo } from './seed.ts';

// `npm run seed`: the demo caller on whatever database the environment points at.
const config = loadConfig();
const db = createDb(config.database);
try {
  await migrate(db);
  const seeded = await seedDemo(db, { timezone: config.agent.defaultTimezone });
  console.log(`Seeded ${seeded.user.name}: call from ${seeded.phone} and give the PIN ${seeded.pin}`);
} finally {
  await db.destroy();
}
