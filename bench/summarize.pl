#!/usr/bin/perl
print while <>;
