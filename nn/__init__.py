"""glassgrad's training library, built only on the public API of `autograd`."""
