"""`batchsvc serve FOLDER`: one entry script served on its own, no Redis, reloaded when its folder changes."""
