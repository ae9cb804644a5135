#!/bin/sh
':' //; exec node --import "$(dirname "$(readlink -f "$0")")/../../node_modules/tsx/dist/esm/index.mjs" "$0" "$@"
// Test helper process on a job board of the database JOBS_CONFIG names. Modes:
//   claim <board> <who> <jobId> <barrier> <leaseMs>: wait at the barrier (an advisory lock the
//     test holds; 0: none), claim the job, print "claimed <who>" or "unclaimable <owner>", then
//     keep a won claim (renewing it) until killed; SIGTERM closes the board and exits.
//   post <board> <name>: post a job, print its id.
//   consume <board> <who> <jobId>: claim and consume the job, print "consumed <id>".
//   conduct <board> <who>: run a conductor whose handler records each run in board_run
//     (job_id, who); print "ready" once waiting; SIGTERM stops it, prints "dispatched <n>".
import { JobBoard } from '../../lib/services/board/jobBoard.ts';
import { Conductor } from '../../lib/services/board/conductor.ts';
import { UnclaimableJob } from '../../lib/services/board/errors.ts';
import { loadConfig } from '../../lib/services/config/loadConfig.ts';
import { withDatabaseClient } from '../../lib/services/database/databaseClient.ts';
import pg from 'pg';

const [mode, boardName, ...rest] = process.argv.slice(2);
const url = loadConfig().section('database').string('url');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

switch (mode) {
  case 'claim': {
    const [who, jobId, barrier, leaseMs] = rest;
    const board = new JobBoard(boardName!, { url, leaseMs: Number(leaseMs) });
    await board.connect();
    if (Number(barrier) !== 0) {
      await withDatabaseClient(url, async (client) => {
        await client.query('SELECT pg_advisory_lock_shared($1)', [Number(barrier)]);
        await client.query('SELECT pg_advisory_unlock_shared($1)', [Number(barrier)]);
      });
    }
    try {
      await board.claim(Number(jobId), who!);
      say(`claimed ${who}`);
      process.on('SIGTERM', () => void board.close().then(() => process.exit(0)));
      // Kept alive by the board's notification connection; the claim is renewed meanwhile.
    } catch (error) {
      if (!(error instanceof UnclaimableJob)) throw error;
      say(`unclaimable ${error.owner}`);
      await board.close();
    }
    break;
  }
  case 'post': {
    const board = new JobBoard(boardName!, { url });
    await board.connect();
    say(String((await board.post(rest[0]!, { from: process.pid })).id));
    await board.close();
    break;
  }
  case 'consume': {
    const [who, jobId] = rest;
    const board = new JobBoard(boardName!, { url });
    await board.connect();
    await board.claim(Number(jobId), who!);
    await board.consume(Number(jobId), who!);
    say(`consumed ${jobId}`);
    await board.close();
    break;
  }
  case 'conduct': {
    const who = rest[0]!;
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const board = new JobBoard(boardName!, { url });
    await board.connect();
    const conductor = new Conductor(board, who, async (_details, job) => {
      await pool.query('INSERT INTO board_run (job_id, who) VALUES ($1, $2)', [job.id, who]);
    });
    process.on('SIGTERM', () => void conductor.stop());
    say('ready');
    const dispatched = await conductor.run();
    await board.close();
    await pool.end();
    say(`dispatched ${dispatched}`);
    break;
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
