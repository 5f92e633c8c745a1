from parcels import parcel_class
from pricing import handling, shipping


def test_classes() -> None:
    assert parcel_class(31) == "heavy" and parcel_class(30.5) == "heavy"
    assert parcel_class(30) == "normal" and parcel_class(0.5) == "normal"


def test_prices_unchanged() -> None:
    assert shipping(1) == 5.0 and shipping(100) == 25.0 and handling(100) == 10.0
