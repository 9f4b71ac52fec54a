"""The public page's handlers: booking and attendance outcomes kept in its catalogue."""

from services.public.catalogue import catalogue_handlers
from services.public.tables import catalogue

HANDLERS = catalogue_handlers(catalogue)
