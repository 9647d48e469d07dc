-- polyref 1.0 -> 1.1: ALTER EXTENSION polyref UPDATE TO '1.1'.
-- CREATE EXTENSION polyref installs 1.0 and runs this script after it, so
-- each change of release 1.1 to the SQL objects is written here once.
\echo Use "ALTER EXTENSION polyref UPDATE TO '1.1'" to load this file. \quit
