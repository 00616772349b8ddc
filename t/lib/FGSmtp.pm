# SPDX-License-Identifier: BSD-2-Clause
# FGSmtp: a small SMTP client for the cluster tests: one session, optional
# XCLIENT (to stand in for changing client IPs) and AUTH PLAIN, many
# messages; each send returns the reply that decided the message.
#
#   my $s = FGSmtp->new($port, xclient => 'ADDR=198.51.100.7',
#       auth => ['alice', 'alicepw']) or die;
#   my $reply = $s->send('from@x', 'to@y', FGSmtp::message('id1'));
#   $s->quit;
package FGSmtp;
use strict;
use warnings;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);

sub new {
    my ($class, $port, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
        Timeout => 30) or return;
    my $self = bless { s => $s, last => '' }, $class;
    return unless $self->reply =~ /^220/;
    return unless $self->cmd('EHLO client.fg.test') =~ /^250/;
    if ($o{xclient}) {
        return unless $self->cmd("XCLIENT $o{xclient}") =~ /^220/;
        return unless $self->cmd('EHLO client.fg.test') =~ /^250/;
    }
    if ($o{auth}) {
        my $tok = encode_base64("\0$o{auth}[0]\0$o{auth}[1]", '');
        return unless $self->cmd("AUTH PLAIN $tok") =~ /^235/;
    }
    return $self;
}

# reply: the last line of a (multi-line) reply, "" on EOF or timeout
sub reply {
    my ($self) = @_;
    my $l;
    do { $l = readline($self->{s}) } while defined $l && $l =~ /^\d{3}-/;
    $l //= '';
    $l =~ s/\r?\n$//;
    return $self->{last} = $l;
}

sub cmd {
    my ($self, $line) = @_;
    print { $self->{s} } "$line\r\n";
    return $self->reply;
}

# send(FROM, TO, DATA): the reply that decided it (RCPT refusal or the
# end-of-data reply)
sub send {
    my ($self, $from, $to, $data) = @_;
    my $r = $self->cmd("MAIL FROM:<$from>");
    if ($r =~ /^250/) {
        $r = $self->cmd("RCPT TO:<$to>");
        if ($r =~ /^250/) {
            $r = $self->cmd('DATA');
            if ($r =~ /^354/) {
                $data =~ s/\r?\n/\r\n/g;
                $data =~ s/^\./../mg;
                print { $self->{s} } $data, ".\r\n";
                return $self->reply;
            }
        }
    }
    $self->cmd('RSET');
    return $r;
}

sub quit {
    my ($self) = @_;
    $self->cmd('QUIT');
    close $self->{s};
}

# message(ID, HEADERS...): a small message whose X-Test-Id is ID
sub message {
    my ($id, @hdr) = @_;
    return join('', map { "$_\n" } 'From: t@fg.test', 'To: r@example.net',
        "Subject: $id", "Message-ID: <$id\@fg.test>", "X-Test-Id: $id", @hdr)
        . "\nbody $id\n";
}

1;
