"""Response and request models shared by the SDK's resources."""
