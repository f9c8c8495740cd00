"""pacnum-bridge: the product (app factory, domain modules)."""
