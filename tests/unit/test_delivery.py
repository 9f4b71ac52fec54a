"""Which durable consumer feeds which services of a process (shared/topology.py ``Delivery``)."""

from shared.topology import ConsumerSpec, Delivery, deliveries, subject_matches


def test_subject_matching_follows_nats_wildcards() -> None:
    assert subject_matches("tl.*.booking.confirmed", "tl.trebes.booking.confirmed")
    assert not subject_matches("tl.*.booking.confirmed", "tl.trebes.booking.cancelled")
    assert not subject_matches("tl.hub.booking.confirmed", "tl.trebes.booking.confirmed")
    assert subject_matches("tl.>", "tl.trebes.booking.confirmed")
    assert not subject_matches("tl.>", "tl")
    assert not subject_matches("tl.*", "tl.trebes.booking")


def test_a_process_durable_reads_the_union_of_its_services_subjects_without_overlap() -> None:
    booking = ConsumerSpec("booking", "TL_NETWORK", ("booking.requested", "booking.confirmed"),
                           request_types=("booking.requested",), request_origin="hub",
                           foreign_types=("booking.confirmed",), foreign_origins=("conques", "trebes"))
    reporting = ConsumerSpec("reporting", "TL_NETWORK", ("booking.confirmed", "attendance.checked_in"))
    delivery = Delivery("TL_NETWORK", (reporting, booking))
    assert delivery.durable == "booking-reporting"
    # booking's tl.trebes.booking.confirmed is inside reporting's tl.*.booking.confirmed: the server
    # refuses overlapping filters, and the wider one already brings it.
    assert delivery.filter_subjects() == [
        "tl.*.attendance.checked_in", "tl.*.booking.confirmed", "tl.hub.booking.requested"]
    assert delivery.config().filter_subjects == delivery.filter_subjects()


def test_a_service_alone_keeps_its_own_durable_and_each_stream_has_one() -> None:
    own = ConsumerSpec("inventory", "TL_TREBES", ("inventory.loan_requested",))
    copy = ConsumerSpec("inventory", "TL_HUB_TREBES", ("inventory.loan_requested",))
    both = deliveries([own, copy, ConsumerSpec("booking", "TL_TREBES", ("booking.requested",))])
    assert [(d.stream, d.durable) for d in both] == [("TL_TREBES", "booking-inventory"),
                                                     ("TL_HUB_TREBES", "inventory")]
