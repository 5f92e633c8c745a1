from mathutils import gcd, is_prime, lcm


def test_gcd_lcm() -> None:
    assert gcd(12, 18) == 6 and lcm(4, 6) == 12


def test_primes() -> None:
    assert [n for n in range(20) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19]
