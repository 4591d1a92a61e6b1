package io.runwatch.core;

public enum RunEventType { start, checkpoint, end }
