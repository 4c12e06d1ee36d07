// `npm run seed`: the demo caller on whatever database the environment points at.
import { readCommandLine } from '../command-line.ts';
import { loadConfig } from '../config.ts';
import { orExit } from '../start-failures.ts';
import { createDb, migrate } from './knex.ts';
import { ADD_YOURSELF, DEMO_PHONE, seedDemo } from './seed.ts';

readCommandLine({
  name: 'npm run seed',
  options: {},
  usage: `Creates the demo caller, ${DEMO_PHONE}, with sample todos, events, a reminder and two teams,
on the database the app uses (DATABASE_URL, or the embedded one in PGLITE_DATA_DIR), and prints
a new random PIN for it. Run again, it keeps the demo caller's data and only changes the PIN.

  npm run seed

The embedded database takes one process at a time: stop npm start first (or, to change only the
demo PIN while it runs: npm run users -- set-pin --phone ${DEMO_PHONE} --pin <4 to 8 digits>).
${ADD_YOURSELF}`,
});

const config = await orExit(() => loadConfig());
const db = await orExit(() => createDb(config.database), config);
try {
  await orExit(() => migrate(db), config);
  const seeded = await seedDemo(db, { timezone: config.agent.defaultTimezone });
  console.log(`Seeded ${seeded.user.name}: call from ${seeded.phone} and give the PIN ${seeded.pin}`);
  console.log(ADD_YOURSELF);
} finally {
  await db.destroy();
}
