"""How events are stored and read: group commit, the encrypting mapper, recorders and log
readers per database, the key ring, the access log's table."""
