"""Admin: content reload, versions, rollback, admins, stats, broadcast, audit."""
