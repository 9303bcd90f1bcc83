"""Local stand-ins for the external sources: loopback HTTP servers (Salesforce, FX) and the JDBC
loader for the Redshift stand-in (H2 in PostgreSQL mode, or a real PostgreSQL in the tests)."""
