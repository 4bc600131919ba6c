"""Delivery: the MQTT link to the clusters and the policy of what is sent when."""
