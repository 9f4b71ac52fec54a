"""The public page's own store: its copy of the workshop catalogue, and its inbox."""

from sqlalchemy import MetaData

from services.public.catalogue import catalogue_tables
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "public")
catalogue = catalogue_tables(metadata, "public")
