"""Notification events (subjects ``tl.<origin>.notification.*``)."""
