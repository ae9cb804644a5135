#!/bin/sh
':' //; exec "$(dirname "$(readlink -f "$0")")/../lib/services/scripts/launch.sh" "$0" "$@"
// Create or upgrade the schema (schema.sql) of the configured database, as its owner:
//   DATABASE_URL=postgres://jobs_owner@db.example.com/app cronscripts/upgrade-schema.ts
// Also `npm run db:upgrade`. --check applies nothing and exits 4 when an upgrade is due.
import { UpgradeSchemaScript } from '../lib/services/database/upgradeSchemaScript.ts';

process.exitCode = await new UpgradeSchemaScript().lockAndRun();
