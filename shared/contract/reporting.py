"""Reporting events (subjects ``tl.<origin>.reporting.*``)."""
