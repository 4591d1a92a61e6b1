package io.runwatch.core;

public enum AlertState { firing, resolved }
