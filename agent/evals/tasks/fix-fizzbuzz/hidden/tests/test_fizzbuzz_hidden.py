from fizzbuzz import fizzbuzz


def test_first_fifteen() -> None:
    expected = "1 2 Fizz 4 Buzz Fizz 7 8 Fizz Buzz 11 Fizz 13 14 FizzBuzz".split()
    assert [fizzbuzz(n) for n in range(1, 16)] == expected


def test_more_multiples_of_fifteen() -> None:
    assert fizzbuzz(30) == fizzbuzz(45) == "FizzBuzz"
