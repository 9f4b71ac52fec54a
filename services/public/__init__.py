"""The public booking page: workshops per site and theme, booking with minimum data, one's bookings by link.

Also holds what the three front-ends (console, public page, bot) share: the workshop catalogue read model
(``catalogue``), the request client (``client``), the small web server (``webserver``) and French wording (``fr``).
"""
