"""The deployer: from an app and its config to AWS resources, and back."""
