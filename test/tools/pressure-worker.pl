# Touches random pages of a shared file mapping forever (see pressure.mjs). Needs only perl-base:
# mmap(2) through the `syscall` builtin, page reads through unpack('P'). Args: FILE SYS_mmap_NUMBER
use strict;
my ($file, $SYS_mmap) = @ARGV;
open(my $fh, '<', $file) or die "$file: $!\n";
my $size = -s $fh;
my $pages = int($size / 4096);
my $addr = syscall($SYS_mmap, 0, $size, 1, 1, fileno($fh), 0);    # PROT_READ, MAP_SHARED
die "mmap: $!\n" if $addr == -1;
$| = 1;
print "ready\n";
my $ppid = getppid();
my $sum = 0;
while (1) {
    $sum += ord(unpack('P1', pack('J', $addr + 4096 * int(rand($pages))))) for 1 .. 50;
    exit 0 if getppid() != $ppid;    # parent died (e.g. SIGKILL): don't linger
}
