"""Operations: rate limiting, /metrics, the post-deploy doctor, encryption key rotation."""
