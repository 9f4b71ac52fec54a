"""Inventory events (subjects ``tl.<origin>.inventory.*``)."""
