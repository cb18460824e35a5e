import unittest

from seedsong_torch.rng import Rng, derive_seed, window_order


class RngTest(unittest.TestCase):
    def test_reference_values_of_the_typescript_engine(self):
        # Printed by electron/engine/rng.ts and data.ts (the Vitest equivalence spec compares live
        # values for more cases); a mismatch means the epochs' window orders differ from Seedsong's.
        self.assertEqual(derive_seed(1, "shuffle", 0), 1882837623)
        self.assertEqual(derive_seed(4294967295, "dropout", 123456), 4207341380)
        self.assertEqual(derive_seed(2**40 + 7, "x", 2**35), 752198955)
        self.assertEqual(Rng(5).next(), 0.7552923902167035)
        self.assertEqual(Rng(2**33 + 1).next_uint32(), 2473141249)
        self.assertEqual(window_order(19, 3, 2), [9, 6, 17, 11, 8, 16, 5, 10, 3, 7, 14, 15, 13, 12, 0, 2, 18, 1, 4])

    def test_an_order_is_a_permutation_that_depends_on_seed_and_epoch(self):
        a = window_order(500, 1, 0)
        self.assertEqual(sorted(a), list(range(500)))
        self.assertEqual(a, window_order(500, 1, 0))
        self.assertNotEqual(a, window_order(500, 1, 1))
        self.assertNotEqual(a, window_order(500, 2, 0))

    def test_floats_are_in_the_unit_interval_and_ints_in_range(self):
        r = Rng(9)
        xs = [r.next() for _ in range(2000)]
        self.assertTrue(all(0 <= x < 1 for x in xs))
        self.assertAlmostEqual(sum(xs) / len(xs), 0.5, delta=0.03)
        self.assertTrue(all(0 <= r.int(7) < 7 for _ in range(500)))


if __name__ == "__main__":
    unittest.main()
