from mathutils import gcd, is_prime, lcm


def test_edges() -> None:
    assert gcd(0, 5) == 5 and gcd(-4, 6) == 2 and lcm(0, 3) == 0 and lcm(-3, 4) == 12
    assert not is_prime(1) and is_prime(97) and not is_prime(91)
