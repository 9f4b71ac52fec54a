"""public's schema revisions (Alembic; applied by shared.migrations, one version table per service)."""
