"""Pure scoring core: plain data in, plain data out; no Flask, no database."""
