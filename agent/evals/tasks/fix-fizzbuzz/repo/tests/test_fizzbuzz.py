from fizzbuzz import fizzbuzz


def test_fizz_and_buzz() -> None:
    assert [fizzbuzz(3), fizzbuzz(5), fizzbuzz(7)] == ["Fizz", "Buzz", "7"]


def test_fifteen() -> None:
    assert fizzbuzz(15) == "FizzBuzz"
